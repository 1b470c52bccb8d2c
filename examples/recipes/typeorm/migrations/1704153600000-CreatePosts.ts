import type { MigrationInterface, QueryRunner } from 'typeorm'

export class CreatePosts1704153600000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "posts" ("id" SERIAL PRIMARY KEY, "user_id" integer NOT NULL REFERENCES "users" ("id"), "title" text NOT NULL)',
    )
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "posts"')
  }
}

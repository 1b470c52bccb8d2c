import type { MigrationInterface, QueryRunner } from 'typeorm'

export class CreateUsers1704067200000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "users" ("id" SERIAL PRIMARY KEY, "email" text NOT NULL UNIQUE)',
    )
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "users"')
  }
}

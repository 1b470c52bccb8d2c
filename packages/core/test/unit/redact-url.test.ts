import { describe, expect, test } from 'vitest'
import { redactUrl } from '../../src/internal/pg-connect.js'

describe('redactUrl', () => {
  test('should hide the password of the user-info part and keep the rest of the URL', () => {
    expect(redactUrl('postgres://app:s3cr%40t@db:6543/app?sslmode=require')).toBe(
      'postgres://app:****@db:6543/app?sslmode=require',
    )
  })

  test('should hide a password given as a query parameter', () => {
    expect(redactUrl('postgresql://app@db/app?password=hunter2&application_name=x')).toBe(
      'postgresql://app@db/app?password=****&application_name=x',
    )
  })

  test('should return a URL without a password, or a text that is not a URL, unchanged', () => {
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/pgtestbed_c_1')).toBe(
      'postgres://postgres@127.0.0.1:5432/pgtestbed_c_1',
    )
    expect(redactUrl('not a url')).toBe('not a url')
  })
})

/**
 * The floor of the benchmark: the ceiling app, where the session routes make the fewest plain
 * mysql2 round trips a session of theirs needs and nothing else — what any database-backed
 * session must at least cost. A read is one primary-key SELECT; a write without a session cookie
 * one INSERT; a write to an existing session a SELECT, then an UPDATE of that row.
 */
import 'reflect-metadata';
import { Controller, Get, Headers, Module } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2';
import { HomeController, serve } from './serve.js';

const pool = mysql.createPool({ uri: process.env.DATABASE_URL, connectionLimit: 10 });
const query = (sql: string, values: unknown[]) =>
  new Promise((resolve, reject) => pool.query(sql, values, (error, rows) => (error ? reject(error) : resolve(rows))));

@Controller()
class FloorController {
  @Get('bench/get')
  async get(@Headers('cookie') cookie = '') {
    await query('SELECT session_data FROM session WHERE session_key = ?', [cookie.slice(10, 42)]);
    return {};
  }

  @Get('bench/put')
  async put(@Headers('cookie') cookie?: string) {
    if (cookie) {
      const key = cookie.slice(10, 42);
      await query('SELECT session_data FROM session WHERE session_key = ?', [key]);
      await query('UPDATE session SET session_data = ?, version = version + 1 WHERE session_key = ?', ['{}', key]);
    } else {
      await query(
        'INSERT INTO session (session_key, session_data, expire_date, version) VALUES (?, ?, UTC_TIMESTAMP(3), 0)',
        [randomBytes(16).toString('hex'), '{}'],
      );
    }
    return 'ok';
  }
}

@Module({ controllers: [HomeController, FloorController] })
class FloorModule {}

await serve(FloorModule);

/**
 * The floor of the benchmark: the ceiling app, where the session routes make one plain mysql2
 * round trip each (a primary-key SELECT, or an INSERT for the write routes) and nothing else —
 * what any database-backed session must at least cost.
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
  async put() {
    await query('INSERT INTO session (session_key, session_data, expire_date, version) VALUES (?, ?, UTC_TIMESTAMP(3), 0)', [
      randomBytes(16).toString('hex'),
      '{}',
    ]);
    return 'ok';
  }
}

@Module({ controllers: [HomeController, FloorController] })
class FloorModule {}

await serve(FloorModule);

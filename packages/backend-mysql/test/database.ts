/** The MariaDB/MySQL on 127.0.0.1:3306 the tests use: database `test`, created when missing. */
import mysql from 'mysql2/promise';

export const URL = 'db+mysql://root@127.0.0.1:3306/test';

/** Runs one statement as root (no default database), creating the `test` database first when missing. */
export async function sql(text: string, params: unknown[] = []): Promise<unknown> {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    await conn.query('CREATE DATABASE IF NOT EXISTS test');
    const [rows] = await conn.query(text, params);
    return rows;
  } finally {
    await conn.end();
  }
}

/** Whether a data source of `type` talks to MySQL or MariaDB. */
export const isMysql = (type: string): boolean => type === 'mysql' || type === 'mariadb';

/** Whether a data source of `type` talks to PostgreSQL through pg. */
export const isPostgres = (type: string): boolean => type === 'postgres';

/** Drivers that run in process, where a round trip costs next to nothing. */
export const isEmbedded = (type: string): boolean => type.includes('sqlite') || type === 'sqljs';

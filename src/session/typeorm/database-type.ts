/** Whether a data source of `type` talks to MySQL or MariaDB. */
export const isMysql = (type: string): boolean => type === 'mysql' || type === 'mariadb';

/** Drivers that run in process, where a round trip costs next to nothing. */
export const isEmbedded = (type: string): boolean => type.includes('sqlite') || type === 'sqljs';

import { DataSource } from 'typeorm';
import { dataSourceOptionsFromUrl } from './src/database/database-url.js';

/**
 * The data source of the TypeORM CLI (`npm run migration:run`), on the database that
 * `DATABASE_URL` names, as the server uses it. It lists the session entity and migrations.
 */
export default new DataSource(dataSourceOptionsFromUrl(process.env.DATABASE_URL));

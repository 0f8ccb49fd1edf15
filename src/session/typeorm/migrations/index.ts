import { CreateSessionTable1764151200000 } from './1764151200000-create-session-table.js';
import { AddSessionVersion1764324000000 } from './1764324000000-add-session-version.js';

/** The library's migrations, oldest first: add them to your data source's `migrations`. */
export const sessionMigrations = [CreateSessionTable1764151200000, AddSessionVersion1764324000000];

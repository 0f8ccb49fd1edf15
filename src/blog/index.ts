export { BlogModule, BLOG_VIEWS_DIR } from './blog.module.js';
export type { BlogModuleOptions } from './blog.module-definition.js';

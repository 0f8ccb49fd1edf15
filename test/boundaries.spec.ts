import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The `from '…'` specifiers of every TypeScript file under `dir`. */
function imports(dir: string): { file: string; from: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(dir, file), 'utf8').matchAll(/\bfrom\s+'([^']+)'/g)].map((match) => ({
        file: relative(process.cwd(), join(dir, file)),
        from: match[1],
      })),
    );
}

describe('module boundaries', () => {
  it('the library never imports the demo nor the app around it', () => {
    const outward = imports('src/session').filter(({ from }) =>
      /^\.\.\/(\.\.\/)?(blog|config|database|app)/.test(from),
    );
    expect(outward).toEqual([]);
  });

  it('the demo uses the library only through its public entry point', () => {
    const deep = imports('src/blog').filter(
      ({ from }) => from.startsWith('../session') && from !== '../session/index.js',
    );
    expect(deep).toEqual([]);
  });
});

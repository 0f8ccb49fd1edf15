import { readFileSync } from 'node:fs';

const readme = readFileSync('README.md', 'utf8');
/** The README without its code blocks, whose `#` lines are no headings. */
const prose = readme.replace(/^```[\s\S]*?^```$/gm, '');

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

const headings = [...prose.matchAll(/^(#{2,3}) (.+)$/gm)].map(([, hashes, title]) => ({
  level: hashes.length,
  title,
  anchor: anchorOf(title),
}));

describe('the README', () => {
  it('has a table of contents listing every section and subsection, in order', () => {
    const toc = /<!-- toc -->([\s\S]*?)<!-- \/toc -->/.exec(readme)?.[1] ?? '';
    const listed = [...toc.matchAll(/^( *)- \[(.+)\]\(#([^)]+)\)$/gm)].map(([, indent, title, anchor]) => ({
      level: indent.length / 2 + 2,
      title,
      anchor,
    }));
    expect(listed).toEqual(headings);
  });

  it('links only to sections it has', () => {
    const anchors = new Set(headings.map((heading) => heading.anchor));
    const links = [...prose.matchAll(/\]\(#([^)]+)\)/g)].map(([, anchor]) => anchor);
    expect(links.length).toBeGreaterThan(headings.length);
    expect(links.filter((anchor) => !anchors.has(anchor))).toEqual([]);
  });

  it('installs what the Quick start imports: the package, @nestjs/typeorm, typeorm and a driver', () => {
    const install = /## Install\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(install).toMatch(/^npm install nest-sessions @nestjs\/typeorm typeorm\b/m);
    expect(install).toMatch(/^npm install mysql2\b/m);
  });
});

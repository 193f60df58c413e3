import { describe, expect, it } from 'vitest';
import { markdownToText, renderMarkdown } from '../../src/server/markdown.ts';

describe('renderMarkdown', () => {
  it('renders the Markdown people write in updates', () => {
    const html = renderMarkdown('We are **investigating**.\n\n- one\n- two\n\n[details](https://example.com/x)');
    expect(html).toContain('<strong>investigating</strong>');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<a href="https://example.com/x" rel="noopener noreferrer nofollow">details</a>');
  });

  it.each([
    ['<script>alert(1)</script>', /<script/i],
    ['<img src=x onerror=alert(1)>', /<img|onerror/i],
    ['[x](javascript:alert(1))', /javascript:/i],
    ['<a href="data:text/html,<script>alert(1)</script>">x</a>', /data:|<script/i],
    ['<iframe src="https://evil.example"></iframe>', /<iframe/i],
    ['<p style="background:url(x)" onclick="alert(1)">x</p>', /style=|onclick/i],
    ['<svg><animate onbegin=alert(1) attributeName=x dur=1s>', /<svg|onbegin/i],
  ])('strips %s', (input, forbidden) => {
    expect(renderMarkdown(input)).not.toMatch(forbidden);
  });

  it('demotes big headings so they do not compete with the page', () => {
    expect(renderMarkdown('# Title').trim()).toBe('<h3>Title</h3>');
  });
});

describe('markdownToText', () => {
  it('keeps the words and decodes entities once', () => {
    expect(markdownToText('**Fix** for A &amp; B <script>x</script>')).toBe('Fix for A & B');
  });
});

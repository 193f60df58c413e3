import { describe, expect, it } from 'vitest';
import { fillTemplate, listPlaceholders } from '../../src/domain/templates.ts';

describe('listPlaceholders', () => {
  it('lists unique names in order of first appearance', () => {
    expect(listPlaceholders('{{component}} is down since {{ start }}. {{component}} again, {{eta}}.')).toEqual([
      'component',
      'start',
      'eta',
    ]);
  });

  it('allows spaces, digits, underscores and dots, and is case-insensitive', () => {
    expect(listPlaceholders('{{  a_1  }} {{_x}} {{incident.name}} {{Component}} {{COMPONENT}} {{component}}')).toEqual([
      'a_1',
      '_x',
      'incident.name',
      'component',
    ]);
  });

  it('ignores things that are not placeholders', () => {
    expect(listPlaceholders('{{}} {{ }} {{1abc}} {{a-b}} {{a b}} {single} {{ .x }} {{é}}')).toEqual([]);
    expect(listPlaceholders('')).toEqual([]);
    expect(listPlaceholders('no braces here')).toEqual([]);
  });

  it('finds a placeholder wrapped in extra braces', () => {
    expect(listPlaceholders('{{{name}}}')).toEqual(['name']);
  });

  it('gives the same answer when called twice (no shared regex state)', () => {
    const text = '{{a}} {{b}}';
    expect(listPlaceholders(text)).toEqual(['a', 'b']);
    expect(listPlaceholders(text)).toEqual(['a', 'b']);
  });
});

describe('fillTemplate', () => {
  it('replaces every occurrence and reports nothing missing', () => {
    expect(fillTemplate('{{component}} down. {{ component }} still down.', { component: 'API' })).toEqual({
      text: 'API down. API still down.',
      missing: [],
    });
  });

  it('leaves missing placeholders in place, exactly as written, and lists them once', () => {
    expect(fillTemplate('{{component}}: back by {{ eta }}, {{ eta }}; {{Owner}}', { component: 'API' })).toEqual({
      text: 'API: back by {{ eta }}, {{ eta }}; {{Owner}}',
      missing: ['eta', 'owner'],
    });
  });

  it('looks names up case-insensitively, an exact-case key winning', () => {
    expect(fillTemplate('{{Component}} / {{COMPONENT}}', { component: 'API' }).text).toBe('API / API');
    expect(fillTemplate('{{Name}} {{name}}', { name: 'lower', Name: 'Upper' }).text).toBe('Upper lower');
  });

  it('inserts values literally: no $-patterns, no re-expansion', () => {
    expect(fillTemplate('{{a}} {{b}}', { a: '$& $1 $$', b: '{{a}}' })).toEqual({ text: '$& $1 $$ {{a}}', missing: [] });
  });

  it('accepts an empty value as a value (not missing)', () => {
    expect(fillTemplate('x{{a}}y', { a: '' })).toEqual({ text: 'xy', missing: [] });
  });

  it('does not treat inherited object properties as values', () => {
    expect(fillTemplate('{{constructor}} {{toString}}', {})).toEqual({
      text: '{{constructor}} {{toString}}',
      missing: ['constructor', 'tostring'],
    });
  });

  it('handles dotted names and text without placeholders', () => {
    expect(fillTemplate('{{incident.name}}', { 'incident.name': 'DB failover' }).text).toBe('DB failover');
    expect(fillTemplate('plain text', { a: 'x' })).toEqual({ text: 'plain text', missing: [] });
  });

  it('keeps the surrounding braces of a triple-brace placeholder', () => {
    expect(fillTemplate('{{{name}}}', { name: 'x' }).text).toBe('{x}');
  });
});

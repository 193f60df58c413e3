/**
 * Server-rendered forms: read the submitted fields, and turn a service's ValidationError
 * into messages shown next to the fields, with the person's input kept.
 */
import { ServiceError, ValidationError } from './errors.ts';

export type FormState<V extends Record<string, string> = Record<string, string>> = {
  values: V;
  /** Field name → message shown next to it; `_` is a message for the whole form. */
  errors: Record<string, string>;
  notice?: string;
  status: number;
};

/** Reads the named fields of a submitted form as strings ('' when absent). */
export async function readForm<K extends string>(request: Request, names: readonly K[]): Promise<Record<K, string>> {
  const data = await request.formData();
  return Object.fromEntries(names.map((n) => [n, String(data.get(n) ?? '')])) as Record<K, string>;
}

/** Runs a form action; a ValidationError or other ServiceError becomes the state to re-render, anything else propagates. */
export async function runForm<V extends Record<string, string>>(
  values: V,
  action: () => Promise<string | void>,
): Promise<FormState<V>> {
  try {
    const notice = await action();
    return { values, errors: {}, notice: notice ?? undefined, status: 200 };
  } catch (err) {
    if (err instanceof ValidationError) {
      return { values, errors: Object.keys(err.fields).length ? err.fields : { _: err.message }, status: 422 };
    }
    if (err instanceof ServiceError) return { values, errors: { _: err.message }, status: err.status };
    throw err;
  }
}

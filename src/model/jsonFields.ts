// The start of every field-by-field check of a JSON document (the run record, the model catalog): an error that
// names the file and the field and says what was expected and what is there instead.

/** How a JSON value is named in an error message ("the string \"abc\"", "an array", "number 3"). */
export function describeJsonValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** JSON.parse with the error every validated document gives: its source named, at the root field. */
export function parseJsonText(text: string, source: string, error: (field: string, message: string) => Error): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw error('(root)', `${source} is not valid JSON: ${(err as Error).message}.`);
  }
}

export class FieldChecker {
  constructor(protected readonly source: string, private readonly error: (field: string, message: string) => Error) {}

  fail(field: string, expected: string, got: unknown): never {
    throw this.error(field, `${this.source}: field "${field}" must be ${expected}, but it is ${got === undefined ? 'missing' : describeJsonValue(got)}.`);
  }

  obj(v: unknown, field: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'an object', v);
    return v as Record<string, unknown>;
  }
}

/**
 * A checker for the subset of JSON Schema (draft-07) that config-schema.ts
 * uses: type, required, properties, additionalProperties, items, enum,
 * minimum, maximum, pattern. It stands in for a general validator because
 * loading and compiling one (ajv: ~200 ms) was a large part of every
 * `create`, `start` and sandbox start-up. Errors read as ajv's did.
 */

export interface SchemaNode {
  readonly type?: 'object' | 'array' | 'string' | 'boolean' | 'integer' | 'number';
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode;
  readonly items?: SchemaNode;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
}

/** The first thing wrong with a value: where (JSON path segments) and what. */
export interface SchemaError {
  path: (string | number)[];
  keyword: 'type' | 'required' | 'enum' | 'minimum' | 'maximum' | 'pattern';
  message: string;
}

function typeOk(type: NonNullable<SchemaNode['type']>, v: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeof v === type;
  }
}

/** Checks `value` against `schema`: the first error found (depth first, in schema order), or undefined. */
export function checkSchema(schema: SchemaNode, value: unknown, path: (string | number)[] = []): SchemaError | undefined {
  if (schema.type && !typeOk(schema.type, value)) return { path, keyword: 'type', message: `must be ${schema.type}` };
  if (schema.enum && !schema.enum.includes(value)) return { path, keyword: 'enum', message: `must be one of ${schema.enum.join(', ')}` };
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return { path, keyword: 'minimum', message: `must be >= ${schema.minimum}` };
    if (schema.maximum !== undefined && value > schema.maximum) return { path, keyword: 'maximum', message: `must be <= ${schema.maximum}` };
  }
  if (typeof value === 'string' && schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
    return { path, keyword: 'pattern', message: `must match pattern "${schema.pattern}"` };
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      const err = checkSchema(schema.items, value[i], [...path, i]);
      if (err) return err;
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in obj)) return { path: [...path, name], keyword: 'required', message: 'is required' };
    for (const [name, v] of Object.entries(obj)) {
      const sub = schema.properties?.[name] ?? schema.additionalProperties;
      if (!sub) continue;
      const err = checkSchema(sub, v, [...path, name]);
      if (err) return err;
    }
  }
  return undefined;
}

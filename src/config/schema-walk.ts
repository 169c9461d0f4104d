// Walking a zod schema by key path: the schema of one setting (defaults and optionals unwrapped),
// the keys of a section, and whether a setting is a float (what a schedule may replace).
import type { z } from 'zod';

export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (s.def.innerType && ['default', 'optional', 'nullable', 'prefault'].includes(s.def.type)) {
    s = s.def.innerType as typeof s;
  }
  return s;
}

export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(schema);
  for (const key of path) {
    if (!s) return undefined;
    const def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType } = (
      s as unknown as { def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType } }
    ).def;
    if (def.type === 'object' && def.shape) s = def.shape[String(key)] && unwrap(def.shape[String(key)]);
    else if (def.type === 'array' && def.element) s = unwrap(def.element);
    else return undefined;
  }
  return s;
}

export function keysOf(schema: z.ZodType | undefined): string[] {
  const def = schema && (schema as unknown as { def: { type: string; shape?: Record<string, unknown> } }).def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Whether `schema` (a leaf from schemaAt) is a number that need not be an integer. */
export function isFloatSetting(schema: z.ZodType | undefined): boolean {
  const def =
    schema &&
    (schema as unknown as { def: { type: string; checks?: { _zod: { def: Record<string, unknown> } }[] } }).def;
  if (def?.type !== 'number') return false;
  return !(def.checks ?? []).some(
    (c) => c._zod.def.check === 'number_format' && String(c._zod.def.format).includes('int'),
  );
}

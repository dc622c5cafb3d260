// A refusal decided before the engine is called (a member or reward key that names nothing), in
// the engine's shape: `{success: false, error_code, message}` (plus any extra fields, e.g.
// `suggestions`) as JSON, `REFUSED CODE: message` for a person. Exit 1, like a refusal by the
// engine. One class so the printer can tell it from an engine result, which has its own rendering.

export class Refusal {
  readonly success = false;
  readonly error_code: string;
  readonly message: string;
  /** Fields the JSON document carries after the message (`suggestions`, `published`). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** What the refusal left undone, said to a person after the message ("nothing published"). */
  readonly consequence: string | undefined;

  constructor(errorCode: string, message: string, extra: Record<string, unknown> = {}, consequence?: string) {
    this.error_code = errorCode;
    this.message = message;
    this.extra = extra;
    this.consequence = consequence;
  }

  /** `REFUSED USER_NOT_FOUND: No member with email x@y` (then `; nothing published` where said). */
  line(): string {
    return `REFUSED ${this.error_code}: ${this.message}${this.consequence ? `; ${this.consequence}` : ''}`;
  }

  toJSON(): Record<string, unknown> {
    return { success: false, error_code: this.error_code, message: this.message, ...this.extra };
  }
}

export function isRefusal(value: unknown): value is Refusal {
  return value instanceof Refusal;
}

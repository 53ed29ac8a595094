// Argument checks that run before any native call, with Node's error codes.

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `${typeof value} ${String(value)}`
  if (typeof value === 'string') return `string '${value.length > 30 ? value.slice(0, 30) + '…' : value}'`
  if (typeof value === 'function') return 'function'
  return typeof value === 'object' ? 'an instance of ' + ((value as object).constructor?.name ?? 'Object') : typeof value
}

export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  return Object.assign(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`), {
    code: 'ERR_INVALID_ARG_TYPE',
  })
}

export function outOfRange(name: string, expected: string, value: unknown): RangeError {
  return Object.assign(new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${String(value)}`), {
    code: 'ERR_OUT_OF_RANGE',
  })
}

const PID_MAX = 4194304 // PID_MAX_LIMIT: no kernel hands out a larger pid

/** A pid that names exactly one process: an integer from 1 to PID_MAX_LIMIT. */
export function validatePid(value: unknown, name = 'pid'): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!Number.isInteger(value) || value < 1 || value > PID_MAX) throw outOfRange(name, `an integer >= 1 and <= ${PID_MAX}`, value)
  return value
}

/** A duration in seconds: a finite number ≥ 0. */
export function validateSeconds(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0', value)
  return value
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value)
  return value
}

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value)
  return value
}

export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value)
  return value as Partial<T>
}

/** Node's ERR_INVALID_ARG_VALUE: the type is right, the value is not (`reason` says why). */
export function invalidArgValue(name: string, reason: string, value: unknown): TypeError {
  return Object.assign(new TypeError(`The argument '${name}' ${reason}. Received ${describe(value)}`), {
    code: 'ERR_INVALID_ARG_VALUE',
  })
}

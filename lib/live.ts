// Live reads of one process for psutil's and psutil-extra's functions: unlike proc's lazy
// properties they throw when the process is gone (NoSuchProcess, or ZombieProcess when it
// is a zombie) and can share one read per file inside a oneshot.
import { callNative, NoSuchProcess, ZombieProcess } from './errors'
import { native } from './native'

/** A process to read: its pid and, when known, its start ticks (identity). */
export interface Target {
  pid: number
  startTicks: number | null
}

/** Why a read of `target` found nothing: a zombie, or gone (ended or pid reused). */
export function goneError(target: Target): NoSuchProcess {
  const stat = native.readStatDetail(target.pid, target.startTicks)
  if (stat?.state === 'Z') return new ZombieProcess(`process is a zombie (pid ${target.pid})`, { pid: target.pid })
  return new NoSuchProcess(`no such process (pid ${target.pid})`, { pid: target.pid, syscall: 'open' })
}

/** Reads `file` of `target` with `read` (null: gone), through `cache` when one is active. */
export function readLive<T>(
  target: Target,
  file: string,
  read: (pid: number, ticks: number | null) => T | null,
  cache?: Map<string, unknown>,
): T {
  if (cache?.has(file)) return cache.get(file) as T
  let value: T | null
  try {
    value = callNative(() => read(target.pid, target.startTicks))
  } catch (error) {
    if (!(error instanceof NoSuchProcess)) throw error
    value = null
  }
  if (value === null) throw goneError(target)
  cache?.set(file, value)
  return value
}

/**
 * Runs `fn` with a fresh cache stored under `key` in `caches`, removed when `fn` returns or,
 * for an async `fn`, when its promise settles. A nested call reuses the outer cache.
 */
export function withOneshotCache<K, T>(caches: { has(k: K): boolean; set(k: K, v: Map<string, unknown>): unknown; delete(k: K): unknown }, key: K, fn: () => T): T {
  if (caches.has(key)) return fn()
  caches.set(key, new Map())
  let result: T
  try {
    result = fn()
  } catch (error) {
    caches.delete(key)
    throw error
  }
  if (result instanceof Promise) return result.finally(() => caches.delete(key)) as T
  caches.delete(key)
  return result
}

// prockit: inspect and control Linux processes. The public names, one module per seed module.
export { UnixProcess, type UnixProcessOptions, type WaitOptions, type TerminateOptions } from './lib/unix'
export {
  Process,
  findProcesses,
  findProcessesAsync,
  findSystemUptime,
  uidToName,
  gidToName,
  sortedByPid,
  parseProcessCmdline,
  parseProcessStatus,
  type OwnerIDs,
  type StatFields,
  type ProcessType,
} from './lib/core'
export { ProcessNode, getProcessTree, getProcessTreeAsync, linkProcessTree, type FindOptions } from './lib/tree'
export {
  ProcessError,
  NoSuchProcess,
  ZombieProcess,
  AccessDenied,
  TimeoutExpired,
  ProcessTerminationFailed,
} from './lib/errors'
export { signalNumber, signalName, type Signal } from './lib/signals'
export { fsEncode } from './lib/text'

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
export {
  pids,
  pidExists,
  processIter,
  waitProcs,
  type CpuTimes,
  type MemoryInfo,
  type MemoryFullInfo,
  type OpenFile,
  type IoCounters,
  type CtxSwitches,
  type ProcessStatus,
  type ProcessIterOptions,
  type WaitProcsOptions,
} from './lib/psutil'
export {
  procGetpgid,
  procGetsid,
  procGetUmask,
  procGetgroups,
  procGetSigmask,
  procGetrlimit,
  procRlimit,
  oneshotProc,
  type ProcArg,
  type SignalMasks,
  type RlimitPair,
} from './lib/extra'
export { killProcessGroup, killSession, processGroupMembers, sessionMembers } from './lib/groups'
export { spawn, SpawnedProcess, type SpawnOptions, type StdioOption, type ExitStatus } from './lib/spawn'
export { signalNumber, signalName, type Signal } from './lib/signals'
export { fsEncode } from './lib/text'
export { spawnDaemon, becomeDaemon, DAEMON_MARKER, type SpawnDaemonOptions, type BecomeDaemonOptions, type Daemon } from './lib/daemon'
export { unixSockets, procSocketInodes, procUnixSockets, type UnixSocket } from './lib/extra'
export { findApacheWorkers, findApacheMemoryUsage, StatsList, MaybeApacheWorker, ApacheDaemonNotRunning } from './lib/apps/apache'
export {
  ADDITIONS_SCRIPT_NAME,
  cronGraceful,
  ensureRootPrivileges,
  findCronDaemon,
  parseArguments,
  runAdditions,
  terminateCronDaemon,
  waitForProcesses,
  CronDaemonNotRunning,
  type CronGracefulArguments,
} from './lib/apps/cron'
export { findGpgAgentInfo, getGpgVariables, startGpgAgent, enableGpgAgent, type StartGpgAgentOptions } from './lib/apps/gpg'
export { REQUIRED_VARIABLES, findGraphicalContext, notifyDesktop, type GraphicalContext, type NotifyOptions } from './lib/apps/notify'

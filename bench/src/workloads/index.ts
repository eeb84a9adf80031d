// Every workload, in the order `npm run bench` runs them.
import type { Workload } from '../workload.js'
import { coreWorkload } from './core.js'
import { latencyWorkload } from './latency.js'
import { coldDeviceWorkload } from './cold-device.js'
import { printWorkload } from './print.js'
import { reconnectWorkload } from './reconnect.js'
import { capacityWorkload } from './capacity.js'
import { cliStartWorkload } from './cli-start.js'
import { relayCostWorkload } from './relay-cost.js'
import { terminalOpenWorkload } from './terminal-open.js'

/** All workloads; `--only` picks by name. */
export const WORKLOADS: readonly Workload[] = [
  coreWorkload,
  latencyWorkload,
  coldDeviceWorkload,
  reconnectWorkload,
  capacityWorkload,
  relayCostWorkload,
  printWorkload,
  cliStartWorkload,
  terminalOpenWorkload,
]

// @tabsync/printer/demo: a print station on fake printers, for demos and local development.

export { startDemoPrintStation } from './demo-print-station.js'
export type { DemoPrintStation, DemoPrintStationOptions } from './demo-print-station.js'

// `npm start`: build the terminal if needed, then run the demo server (see server/start.ts).
import { register } from 'tsx/esm/api'

register()
await import('../server/start.ts')

// Tests in this workspace run against the TypeScript sources of @tabsync/* packages, not their
// built dist/: every package's exports map lists an "@tabsync/source" condition pointing at src/,
// which this adds in front of Vite's default conditions (client and server sides: Node tests
// resolve as SSR). Published consumers never set the condition and get dist/.
import { defaultClientConditions, defaultServerConditions } from 'vite'

/** The export condition that maps @tabsync/* imports to their sources. */
export const SOURCE_CONDITION = '@tabsync/source'

/** Spread into a vitest project config: `defineProject({ ...sourceConditions, test: {...} })`. */
export const sourceConditions = {
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
}

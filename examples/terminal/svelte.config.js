// Svelte 5 runes everywhere in the terminal.
export default { compilerOptions: { runes: true } }

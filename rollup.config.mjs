import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';

/** Drops comments and collapses white space in the css`` templates of *.styles.ts files (Lit keeps them verbatim). */
const minifyCss = () => ({
  name: 'minify-css',
  transform(code, id) {
    if (!/\.styles\.(ts|js)$/.test(id)) return null;
    return {
      code: code.replace(/css\s*`([^`]*)`/g, (_, body) => `css\`${body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ').replace(/\s*([{};:,>])\s*/g, '$1').replace(/;}/g, '}').trim()}\``),
      map: null,
    };
  },
});

const dependencies = [/^lit(\/|$)/, /^@lit\//, /^idb$/];
const isIndex = (id) => /(^|\/)index\.(js|ts)$/.test(id);

export default [
  // For bundlers: an ES module, dependencies external, with declarations.
  {
    input: 'src/index.ts',
    external: dependencies,
    output: { file: 'dist/lipsync-elements.js', format: 'es', sourcemap: true },
    plugins: [typescript({ tsconfig: './tsconfig.build.json', declaration: true, declarationDir: 'dist/types', outDir: 'dist' })],
  },
  // The side-effect entry that registers the tags, on top of the module above.
  {
    input: 'src/define.ts',
    external: (id) => isIndex(id) || dependencies.some((re) => re.test(id)),
    output: { file: 'dist/define.js', format: 'es', sourcemap: true, paths: (id) => (isIndex(id) ? './lipsync-elements.js' : id) },
    plugins: [typescript({ tsconfig: './tsconfig.build.json', declaration: false, declarationDir: undefined, outDir: 'dist' })],
  },
  // For a <script type="module"> tag on any page: one file, every dependency inside.
  {
    input: 'src/bundle.ts',
    output: { file: 'dist/lipsync-elements.min.js', format: 'es', sourcemap: true },
    plugins: [
      nodeResolve({ browser: true }),
      minifyCss(),
      typescript({ tsconfig: './tsconfig.build.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
      // keep_fargs: false drops unused trailing parameters; nothing here reads Function.length.
      terser({ ecma: 2022, module: true, compress: { passes: 3, keep_fargs: false }, format: { comments: false } }),
    ],
  },
];

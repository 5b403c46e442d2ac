// Build local_bridge's AMD modules as Moodle's `grunt amd` does: Babel turns the ES module in
// amd/src/<name>.js into an AMD define() named "local_bridge/<name>", terser minifies it, and
// amd/build/<name>.min.js gets its source map beside it.
//
//   npm install --prefix /tmp/amdbuild @babel/core @babel/plugin-transform-modules-amd terser
//   NODE_PATH=/tmp/amdbuild/node_modules node scripts/build-amd.mjs
import {createRequire} from 'node:module';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH || '.', 'x.js'));
const babel = require('@babel/core');
const {minify} = require('terser');
const plugin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..',
    'moodle_plugin', 'local', 'bridge');

for (const file of readdirSync(path.join(plugin, 'amd', 'src')).filter((f) => f.endsWith('.js'))) {
    const name = file.replace(/\.js$/, '');
    const source = readFileSync(path.join(plugin, 'amd', 'src', file), 'utf8');
    const amd = babel.transformSync(source, {
        filename: `local_bridge/${name}.js`, sourceFileName: `../src/${file}`, sourceMaps: true,
        moduleId: `local_bridge/${name}`, babelrc: false, configFile: false, comments: false,
        plugins: [require.resolve('@babel/plugin-transform-modules-amd')],
    });
    const min = await minify(amd.code, {
        sourceMap: {content: amd.map, url: `${name}.min.js.map`}, output: {comments: false},
    });
    writeFileSync(path.join(plugin, 'amd', 'build', `${name}.min.js`), min.code);
    writeFileSync(path.join(plugin, 'amd', 'build', `${name}.min.js.map`), min.map);
    console.log(`amd/build/${name}.min.js: ${min.code.length} bytes`);
}

// Builds static/dist/ from static/src/ (run by `npm run build`; `npm run watch` rebuilds on
// change). Output, all served by Django's staticfiles:
//   static/dist/app.css (+ .map)   GOV.UK Frontend + MoJ Frontend + ours, council brand
//   static/dist/app.js  (+ .map)   ES module: GOV.UK + MoJ Frontend JavaScript and htmx 2
//   static/dist/assets/images/     favicon and the icons the CSS refers to
// Nothing is fetched from a CDN at runtime.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as esbuild from 'esbuild'
import * as sass from 'sass'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const src = join(root, 'static', 'src')
const dist = join(root, 'static', 'dist')
const images = join(dist, 'assets', 'images')
const mojImages = join(root, 'node_modules', '@ministryofjustice', 'frontend', 'moj', 'assets', 'images')

function buildCss () {
  let suppressed = 0
  const result = sass.compile(join(src, 'scss', 'app.scss'), {
    importers: [new sass.NodePackageImporter(root)],
    loadPaths: [root], // MoJ Frontend @forwards "node_modules/govuk-frontend/..."
    style: 'compressed',
    sourceMap: true,
    sourceMapIncludeSources: true,
    quietDeps: true,
    logger: {
      warn (message, options) {
        // MoJ Frontend 11 still calls mixins GOV.UK Frontend 6 deprecates; not ours to fix.
        if (message.includes('$govuk-suppressed-warnings')) {
          suppressed += 1
          return
        }
        console.warn(options.span ? `${message}\n  at ${options.span.url}:${options.span.start.line + 1}` : message)
      }
    }
  })
  result.sourceMap.sources = result.sourceMap.sources.map((source) =>
    source.startsWith('file:') ? relative(dist, fileURLToPath(source)) : source
  )
  writeFileSync(join(dist, 'app.css'), `${result.css}\n/*# sourceMappingURL=app.css.map */\n`)
  writeFileSync(join(dist, 'app.css.map'), JSON.stringify(result.sourceMap))
  if (suppressed) {
    console.log(`  (hid ${suppressed} deprecation warning(s) from MoJ Frontend)`)
  }
  return result.css
}

async function buildJs () {
  await esbuild.build({
    entryPoints: [join(src, 'js', 'app.js')],
    outfile: join(dist, 'app.js'),
    bundle: true,
    format: 'esm',
    target: ['es2020'],
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning'
  })
}

function copyAssets () {
  mkdirSync(images, { recursive: true })
  cpSync(join(src, 'images'), images, { recursive: true })
  // MoJ Frontend's component icons (timeline, filter, progress); not its logos.
  for (const name of readdirSync(mojImages)) {
    if (name.startsWith('icon-')) {
      cpSync(join(mojImages, name), join(images, name))
    }
  }
}

// Manifest static storage (production collectstatic) fails on a url() to a missing file,
// so catch that here rather than at deploy time.
function checkCssUrls (css) {
  const missing = []
  for (const match of css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) {
    const url = match[1]
    if (url.startsWith('data:') || url.startsWith('#')) continue
    if (!existsSync(join(dist, url.split(/[?#]/)[0]))) missing.push(url)
  }
  if (missing.length) {
    throw new Error(`app.css refers to files not in static/dist: ${[...new Set(missing)].join(', ')}`)
  }
}

async function build () {
  const started = Date.now()
  rmSync(dist, { recursive: true, force: true })
  mkdirSync(dist, { recursive: true })
  copyAssets()
  const css = buildCss()
  checkCssUrls(css)
  await buildJs()
  console.log(`Built static/dist/ in ${Date.now() - started} ms`)
}

if (process.argv.includes('--watch')) {
  await build()
  let timer
  watch(src, { recursive: true }, () => {
    clearTimeout(timer)
    timer = setTimeout(() => build().catch((error) => console.error(error.message)), 100)
  })
  console.log('Watching static/src/ for changes (Ctrl-C to stop)')
} else {
  try {
    await build()
  } catch (error) {
    console.error(error.message ?? error)
    process.exit(1)
  }
}


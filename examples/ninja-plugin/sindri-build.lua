-- The recipe of the ninja plugin example: sindri-build decides, by content, whether each task must run.
--   sindri-build -t ninja -o sindri.ninja    (once; it regenerates itself when this file changes)
--   ninja                                    (or samu)

task "pages" {
  desc    = "join the pages into one file",
  inputs  = { "src/pages/" },
  exclude = { "**/*.draft" },
  outputs = { "out/site.txt" },
  run     = "mkdir -p out && cat src/pages/*.txt > out/site.txt",
}

task "index" {
  desc    = "number the lines of the site",
  deps    = { "pages" },
  inputs  = { "out/site.txt" },
  outputs = { "out/index.txt" },
  run     = "grep -n . out/site.txt > out/index.txt",
}

default "index"

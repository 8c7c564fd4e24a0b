-- A small project for trying sindri-build: run it twice, and the second run does nothing.
--   ./sindri-build -C examples/quickstart
--   ./sindri-build -C examples/quickstart -t explain site

local title = var("TITLE", "quickstart")

task "pages" {
  desc    = "join the pages into one file",
  inputs  = { "src/pages/" },
  exclude = { "**/*.draft" },
  outputs = { "out/pages.txt" },
  run     = "mkdir -p out && cat src/pages/*.txt > out/pages.txt",
}

task "count" {
  desc    = "count the words of the joined pages",
  deps    = { "pages" },
  inputs  = { "out/pages.txt" },
  outputs = { "out/count.txt" },
  run     = "wc -w < out/pages.txt > out/count.txt",
}

task "site" {
  desc    = "write the index from the pages and the count",
  deps    = { "pages", "count" },
  inputs  = { "out/pages.txt", "out/count.txt" },
  vars    = { "TITLE" },
  outputs = { "out/index.txt" },
  run     = function()
    local count = assert(io.open("out/count.txt")):read("l")
    local f = assert(io.open("out/index.txt", "w"))
    f:write(title, ": ", count, " words\n")
    f:close()
  end,
}

default "site"

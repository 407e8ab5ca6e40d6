-- Quarto-style cross-references for plain pandoc: numbers figures (#fig-*), tables (#tbl-*) and
-- sections (#sec-*), and turns @fig-x / @tbl-x / @sec-x citations into links reading "Figure 3" etc.
-- HTML captions get their "Figure N:" prefix here; Typst numbers its own figures in the same order.

local numbers = {}
local kinds = { fig = "Figure", tbl = "Table", sec = "Section" }
local counters = { fig = 0, tbl = 0 }
local section_counts = {}
local is_typst = FORMAT:match("typst") ~= nil

local function prefix_of(id)
  return id and id:match("^(%a+)%-")
end

local function label_caption(el, kind, n)
  if is_typst or not el.caption or not el.caption.long then return el end
  local blocks = el.caption.long
  if #blocks > 0 and blocks[1].content then
    table.insert(blocks[1].content, 1, pandoc.Space())
    table.insert(blocks[1].content, 1, pandoc.Strong({ pandoc.Str(kinds[kind] .. " " .. n .. ":") }))
  end
  return el
end

local function number_section(el)
  if el.classes:includes("unnumbered") then return end
  local level = el.level
  section_counts[level] = (section_counts[level] or 0) + 1
  for l = level + 1, 9 do section_counts[l] = nil end
  local parts = {}
  for l = 1, level do table.insert(parts, tostring(section_counts[l] or 0)) end
  if el.identifier ~= "" then numbers[el.identifier] = table.concat(parts, ".") end
end

local function number_float(el, kind)
  if prefix_of(el.identifier) ~= kind then return nil end
  counters[kind] = counters[kind] + 1
  numbers[el.identifier] = tostring(counters[kind])
  return label_caption(el, kind, counters[kind])
end

local function collect(doc)
  doc.blocks = doc.blocks:walk({
    Header = function(el) number_section(el) end,
    Figure = function(el) return number_float(el, "fig") end,
    Table = function(el) return number_float(el, "tbl") end,
  })
  return doc
end

local function resolve(el)
  local out = {}
  for i, citation in ipairs(el.citations) do
    local id = citation.id
    local kind = kinds[prefix_of(id) or ""]
    if not kind or not numbers[id] then
      io.stderr:write("crossref: unresolved reference @" .. id .. "\n")
      return nil
    end
    if i > 1 then table.insert(out, pandoc.Str(", ")) end
    table.insert(out, pandoc.Link({ pandoc.Str(kind .. " " .. numbers[id]) }, "#" .. id))
  end
  return out
end

return {
  { Pandoc = collect },
  { Cite = resolve },
}

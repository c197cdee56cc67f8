-- Pandoc filter for board papers made from executed notebooks.
-- Pandoc's ipynb reader wraps each cell in a Div with classes "cell" and "code" or
-- "markdown", and each output in a Div with class "output". This filter
--   * drops cells tagged parameters / injected-parameters / remove-cell,
--   * drops code (the source of code cells and plain-text reprs of rich outputs),
--   * parses text/markdown outputs (tables, headings from display(Markdown(...))) into
--     real document blocks, so Word gets real tables with header rows.
local hidden = { ["parameters"] = true, ["injected-parameters"] = true, ["remove-cell"] = true }

local function has_hidden_tag(div)
  local tags = div.attributes["tags"]
  if not tags then return false end
  for tag in string.gmatch(tags, '[%w%-]+') do
    if hidden[tag] then return true end
  end
  return false
end

local function output_blocks(div)
  local rich, plain = {}, {}
  for _, block in ipairs(div.content) do
    if block.t == "RawBlock" and block.format == "markdown" then
      for _, b in ipairs(pandoc.read(block.text, "markdown").blocks) do table.insert(rich, b) end
    elseif block.t == "CodeBlock" then
      table.insert(plain, block)
    else
      table.insert(rich, block)
    end
  end
  if #rich > 0 then return rich end
  return {}
end

function Div(div)
  if div.classes:includes("cell") and has_hidden_tag(div) then
    return {}
  end
  if div.classes:includes("output") then
    if div.classes:includes("stream") or div.classes:includes("error") then return {} end
    div.content = output_blocks(div)
    return div
  end
  if div.classes:includes("cell") and div.classes:includes("code") then
    local kept = {}
    for _, block in ipairs(div.content) do
      if block.t ~= "CodeBlock" then table.insert(kept, block) end
    end
    div.content = kept
    return div
  end
  return nil
end

-- Pandoc filter for board papers made from executed notebooks.
-- Drops code cells' source, keeps their rich outputs; drops parameter cells; keeps
-- markdown. Pandoc's ipynb reader wraps each cell in a Div with class "cell" and
-- "code" or "markdown", and outputs in Divs with class "output".
local hidden = { ["parameters"] = true, ["injected-parameters"] = true, ["remove-cell"] = true }

local function has_hidden_tag(div)
  local tags = div.attributes["tags"]
  if not tags then return false end
  for tag in string.gmatch(tags, '[%w%-]+') do
    if hidden[tag] then return true end
  end
  return false
end

function Div(div)
  if div.classes:includes("cell") and has_hidden_tag(div) then
    return {}
  end
  if div.classes:includes("cell") and div.classes:includes("code") then
    local kept = {}
    for _, block in ipairs(div.content) do
      if block.t ~= "CodeBlock" then table.insert(kept, block) end
    end
    div.content = kept
    return div
  end
  if div.classes:includes("output") and div.classes:includes("stream") then
    return {}
  end
  return nil
end

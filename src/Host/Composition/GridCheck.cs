using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;

namespace Pipeline.Host.Composition;

/// <summary>
/// The grid options, checked at composition when the samples are images and a grid will be written: the grid is drawn
/// after sampling, so a bad value would otherwise waste the whole run and end in a drawing library's exception.
/// </summary>
static class GridCheck
{
    public static void Check(OutputSettings outputs, long[] sampleShape, JObject doc)
    {
        if (!outputs.Grid || !ImageGrid.IsImage(sampleShape)) return;
        var section = doc["outputs"];
        if (outputs.GridColumns is int columns && columns < 1)
            throw DefinitionError.At(section?["gridColumns"], $"gridColumns is {columns}; give a positive number of columns, or leave it out for about sqrt(count)",
                "$.outputs.gridColumns");
        var range = outputs.GridRange;
        if (range is null || range.Length != 2 || !double.IsFinite(range[0]) || !double.IsFinite(range[1]) || !(range[0] < range[1]))
            throw DefinitionError.At(section?["gridRange"],
                $"gridRange is [{string.Join(", ", range ?? [])}]; give two finite numbers, low then high, mapped to black and white (e.g. [-1, 1])",
                "$.outputs.gridRange");
    }
}

namespace Pipeline.Tests;

public class PlaceholderModels { }

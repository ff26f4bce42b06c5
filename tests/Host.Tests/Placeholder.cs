namespace Pipeline.Tests;

public class PlaceholderHost { }

namespace Pipeline.Tests;

public class PlaceholderSchedules { }

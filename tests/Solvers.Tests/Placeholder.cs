namespace Pipeline.Tests;

public class PlaceholderSolvers { }

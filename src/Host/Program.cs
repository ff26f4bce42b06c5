internal static class Program { static int Main(string[] a) { System.Console.WriteLine(TorchSharp.torch.ones(2).sum().item<float>()); return 0; } }

namespace Pipeline.Models;

/// <summary>One evaluation time: continuous t, the schedule's alpha and sigma there, and the network's input value.</summary>
public readonly record struct ModelTime(double T, double Alpha, double Sigma, double Input);

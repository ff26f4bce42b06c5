using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Tests.TestSupport;

/// <summary>Counts the model evaluations beneath the guidance and records each one's batch size and labels.</summary>
public sealed class CountingDenoiser(IConditionalDenoiser inner) : IConditionalDenoiser
{
    public INoiseSchedule Schedule => inner.Schedule;
    public IDiffusionModel Model => inner.Model;
    public List<(double T, long Batch, long[]? Labels)> Calls { get; } = [];

    public ModelOutput Predict(torch.Tensor x, double t, Conditioning conditioning)
    {
        Calls.Add((t, x.shape[0], conditioning.Labels?.data<long>().ToArray()));
        return inner.Predict(x, t, conditioning);
    }
}

/// <summary>
/// A model that hands out a counting wrapper of its classifiers: counts forward passes and how many of them got an
/// x that requires gradients (the guidance then differentiates the output once).
/// </summary>
public sealed class CountingClassifierModel(IDiffusionModel model) : IDiffusionModel, INoisyClassifierSource
{
    public PredictionType Prediction => model.Prediction;
    public TimeInput TimeInput => model.TimeInput;
    public long[]? SampleShape => model.SampleShape;
    public int? Classes => model.Classes;
    public torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels) => model.Forward(x, time, labels);

    public int Forwards { get; private set; }
    public int InputsRequiringGrad { get; private set; }
    public List<ModelTime> Times { get; } = [];

    public IReadOnlyList<string> ClassifierNames => ((INoisyClassifierSource)model).ClassifierNames;

    public INoisyClassifier? Classifier(string name) =>
        ((INoisyClassifierSource)model).Classifier(name) is { } inner ? new Counting(inner, this) : null;

    sealed class Counting(INoisyClassifier inner, CountingClassifierModel owner) : INoisyClassifier
    {
        public int Classes => inner.Classes;
        public TimeInput TimeInput => inner.TimeInput;

        public torch.Tensor LogProbabilities(torch.Tensor x, ModelTime time)
        {
            owner.Forwards++;
            if (x.requires_grad) owner.InputsRequiringGrad++;
            owner.Times.Add(time);
            return inner.LogProbabilities(x, time);
        }
    }
}

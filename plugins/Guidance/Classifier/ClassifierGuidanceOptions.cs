using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Guidance.Classifier;

public sealed class ClassifierGuidanceOptions
{
    [Required, Description("name of a noisy classifier the pipeline's model offers (gmm: \"gmm-posterior\", its exact component posterior; mnist-unet: \"mnist-noisy-classifier\")")]
    public string Classifier { get; set; } = "";

    [Range(0.0, 1000.0), Description("guidance scale s in eps - s sigma_t grad log p(y | x_t); 1 with an exact classifier samples p(x | y)")]
    public double Scale { get; set; } = 1.0;

    [Description("also give the labels to the model (a conditional model plus classifier, as in Dhariwal and Nichol's ADM-G); " +
                 "false = the model is evaluated with the null label, so the guided density is p_t(x) p_t(y | x)^s")]
    public bool ConditionModel { get; set; } = false;
}

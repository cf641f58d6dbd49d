using System.CommandLine;
using Mnist.Core.Data;

namespace Mnist.Cli.Commands;

/// <summary>
/// The augmentations beyond the seed's affine transform, as the options of <c>train</c>,
/// <c>tune</c> and <c>pipeline</c> (each command creates its own): --elastic-alpha,
/// --elastic-sigma, --shear, --stroke-jitter. Their defaults are the command's Core defaults.
/// </summary>
/// <param name="defaults">The command's Core default augmentation, which the options' defaults read (each default is written once, in Core).</param>
internal sealed class AugmentationFlags(AugmentationOptions defaults)
{
    private readonly Option<double> _elasticAlpha = new("--elastic-alpha")
    {
        Description = "Augmentation: elastic distortion's strength in pixels (Simard et al. 2003 used 34 with sigma 4; 0 = off).",
        DefaultValueFactory = _ => defaults.ElasticAlpha,
    };

    private readonly Option<double> _elasticSigma = new("--elastic-sigma")
    {
        Description = "Augmentation: elastic distortion's smoothing, the Gaussian's sigma in pixels.",
        DefaultValueFactory = _ => defaults.ElasticSigma,
    };

    private readonly Option<double> _shear = new("--shear")
    {
        Description = "Augmentation: max shear angle in degrees (Keras's shear_range; 0 = off).",
        DefaultValueFactory = _ => defaults.ShearDegrees,
    };

    private readonly Option<double> _strokeJitter = new("--stroke-jitter")
    {
        Description = "Augmentation: max stroke-width change in pixels, thicker or thinner (at most 1.5; 0 = off).",
        DefaultValueFactory = _ => defaults.StrokeJitter,
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_elasticAlpha);
        command.Options.Add(_elasticSigma);
        command.Options.Add(_shear);
        command.Options.Add(_strokeJitter);
    }

    /// <summary><paramref name="augmentation"/> with the parsed values of these options.</summary>
    public AugmentationOptions Read(ParseResult parse, AugmentationOptions augmentation) => augmentation with
    {
        ElasticAlpha = parse.GetValue(_elasticAlpha),
        ElasticSigma = parse.GetValue(_elasticSigma),
        ShearDegrees = parse.GetValue(_shear),
        StrokeJitter = parse.GetValue(_strokeJitter),
    };
}

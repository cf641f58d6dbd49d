using Mnist.Core.Data;
using Mnist.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mnist.Core.Model;

/// <summary>
/// One member of an ensemble, as its own model file described it: where it came from, its
/// network and normalisation, the epoch of its weights, its best validation metric, how it was
/// trained and its own test accuracy (null when its file held none).
/// </summary>
public sealed record EnsembleMember(
    string Source,
    ModelConfig Hyperparameters,
    Normalization Normalization,
    int Epoch,
    BestMetric? Best,
    TrainingOptions? Training,
    long TotalParams,
    double? TestAccuracy);

/// <summary>
/// Several networks that answer as one: each member sees the input through its own normalisation,
/// and the ensemble's output is the log of the mean of the members' probabilities (so its
/// exponent is their mean, and its arg-max the class they agree on most). A pure function of the
/// members' hyperparameters and normalisations, as a single network is of its hyperparameters;
/// the members are its sub-modules <c>member_0</c>, <c>member_1</c>, … so that one weight file
/// holds them all. It takes pixels in [0, 1]: its own normalisation is the identity.
/// </summary>
public sealed class EnsembleNetwork : nn.Module<Tensor, Tensor>
{
    private readonly List<Sequential> _members = [];
    private readonly Normalization[] _normalizations;

    public EnsembleNetwork(IReadOnlyList<(ModelConfig Config, Normalization Normalization)> members) : base("ensemble")
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count < 2) throw new ArgumentException($"an ensemble has at least 2 members, not {members.Count}", nameof(members));
        _normalizations = members.Select(m => m.Normalization).ToArray();
        for (var i = 0; i < members.Count; i++)
        {
            var member = ModelBuilder.Build(members[i].Config);
            register_module(MemberName(i), member);
            _members.Add(member);
        }
    }

    public IReadOnlyList<Sequential> Members => _members;

    public IReadOnlyList<Normalization> Normalizations => _normalizations;

    public static string MemberName(int index) => $"member_{index}";

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var logProbabilities = stack(_members.Select((m, i) => m.forward(Preprocessing.Normalize(input, _normalizations[i]))), 0);
        using var count = Math.Log(_members.Count).ToScalar();
        return logProbabilities.logsumexp(0).sub_(count).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) foreach (var m in _members) m.Dispose();
        base.Dispose(disposing);
    }
}

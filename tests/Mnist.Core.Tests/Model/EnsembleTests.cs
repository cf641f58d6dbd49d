using Mnist.Core.Data;
using Mnist.Core.Inference;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Testing;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Model;

/// <summary>Ensembles of untrained seed networks (different seeds, different normalisations): what the file holds and what it answers.</summary>
public sealed class EnsembleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Member(string name, long seed, Normalization? normalization = null)
    {
        var path = _dir.File(name);
        using var model = ModelBuilder.Build(ModelConfig.Seed, seed);
        ModelFile.Save(path, new ModelFileContents
        {
            Manifest = SeedModelFile.Manifest() with { Normalization = normalization ?? Normalization.UnitRange, Epoch = (int)seed },
            Weights = ModelFile.SerializeWeights(model),
        });
        return path;
    }

    [Fact]
    public void An_ensembles_probabilities_are_the_mean_of_its_members_each_with_its_own_normalisation()
    {
        var members = new[] { Member("a.ckpt", 1), Member("b.ckpt", 2, new Normalization(0.13, 0.31)), Member("c.ckpt", 3) };
        var path = _dir.File("ensemble.ckpt");
        ModelFile.Save(path, EnsembleRun.Combine(members));
        var inputs = TestData.TestInputs(16);

        using var ensemble = Predictor.Load(path);
        var answers = ensemble.Predict(inputs);

        var perMember = members.Select(m =>
        {
            using var p = Predictor.Load(m);
            return p.Predict(inputs);
        }).ToList();
        for (var i = 0; i < inputs.Length; i++)
        {
            for (var c = 0; c < 10; c++)
            {
                var mean = perMember.Average(p => p[i].Probabilities[c]);
                Assert.Equal(mean, answers[i].Probabilities[c], 5);
            }
        }
    }

    [Fact]
    public void An_ensembles_file_describes_its_members_and_how_it_averages()
    {
        var a = Member("a.ckpt", 1);
        var b = Member("b.ckpt", 2);

        var m = EnsembleRun.Combine([a, b]).Manifest;

        Assert.True(m.IsEnsemble);
        Assert.Equal([a, b], m.Members!.Select(x => x.Source));
        Assert.Equal([1, 2], m.Members!.Select(x => x.Epoch));
        Assert.True(m.Normalization.IsIdentity);
        Assert.Equal(m.Members!.Sum(x => x.TotalParams), m.TotalParams);
    }

    [Fact]
    public void A_single_networks_manifest_has_no_members_and_its_json_is_unchanged()
    {
        var m = ModelFile.Read(Member("a.ckpt", 1)).Manifest;

        Assert.False(m.IsEnsemble);
        Assert.DoesNotContain("members", Core.Infrastructure.Json.Serialize(m), StringComparison.Ordinal);
        Assert.DoesNotContain("is_ensemble", Core.Infrastructure.Json.Serialize(m), StringComparison.Ordinal);
    }

    [Fact]
    public void An_ensemble_of_one_model_is_refused_naming_the_setting()
    {
        var e = Assert.Throws<Core.Infrastructure.SettingException>(() => EnsembleRun.Combine([Member("a.ckpt", 1)]));

        Assert.Contains("models", e.Message, StringComparison.Ordinal);
        Assert.Contains("at least 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Members_that_read_other_datasets_are_refused_naming_the_file()
    {
        var a = Member("a.ckpt", 1);
        var fashion = _dir.File("fashion.ckpt");
        var contents = ModelFile.Read(Member("b.ckpt", 2));
        ModelFile.Save(fashion, new ModelFileContents { Manifest = contents.Manifest with { Dataset = DatasetInfo.FashionMnist.Name }, Weights = contents.Weights });

        var e = Assert.Throws<InvalidDataException>(() => EnsembleRun.Combine([a, fashion]));

        Assert.Contains(fashion, e.Message, StringComparison.Ordinal);
        Assert.Contains("one dataset", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ensemble_as_a_member_is_refused()
    {
        var inner = _dir.File("inner.ckpt");
        ModelFile.Save(inner, EnsembleRun.Combine([Member("a.ckpt", 1), Member("b.ckpt", 2)]));

        var e = Assert.Throws<InvalidDataException>(() => EnsembleRun.Combine([inner, Member("c.ckpt", 3)]));

        Assert.Contains("is an ensemble itself", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ensemble_rebuilt_from_its_file_answers_as_it_did_when_it_was_combined()
    {
        var contents = EnsembleRun.Combine([Member("a.ckpt", 1), Member("b.ckpt", 2)]);
        var path = _dir.File("ensemble.ckpt");
        ModelFile.Save(path, contents);
        using var x = Preprocessing.ToUnitTensor(TestData.Mnist.Test.Take(8));
        using var built = ModelFile.BuildNetwork(contents.Manifest);
        ModelFile.LoadWeights(built, contents.Weights, "combined");
        built.eval();

        var (loaded, _) = ModelFile.LoadModel(path);
        using (loaded)
        using (no_grad())
        using (var expected = built.forward(x))
        using (var actual = loaded.forward(x))
        {
            Assert.True(expected.allclose(actual, rtol: 0, atol: 1e-6));
        }
    }
}

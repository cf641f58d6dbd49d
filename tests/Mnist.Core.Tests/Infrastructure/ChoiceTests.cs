using System.Reflection;
using Mnist.Core.Inference;
using Mnist.Core.Infrastructure;
using Mnist.Core.Interchange;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Infrastructure;

/// <summary>
/// Every named choice is an enum spelt by <see cref="Choice"/>: one name per value (the one the
/// command line, the stored studies and the JSON files already use), read back in any case and
/// from its aliases; anything else a <see cref="SettingException"/> naming the setting and the names.
/// </summary>
public sealed class ChoiceTests
{
    /// <summary>Every enum whose values are named to people or in files.</summary>
    public static TheoryData<Type> Choices =>
    [
        typeof(OracleKind), typeof(PrunerKind), typeof(DeviceKind), typeof(InferenceEngineKind), typeof(AcquisitionKind),
        typeof(TuningObjective), typeof(LrSchedule), typeof(PipelinePresetKind), typeof(ExportFormat), typeof(PrunedTrialModel),
        typeof(TrialStatus), typeof(Direction), typeof(StorageKind),
    ];

    [Theory]
    [InlineData(typeof(OracleKind), "bayes random hyperband")]
    [InlineData(typeof(PrunerKind), "asha none")]
    [InlineData(typeof(DeviceKind), "cpu cuda auto")]
    [InlineData(typeof(InferenceEngineKind), "torch onnx")]
    [InlineData(typeof(AcquisitionKind), "ucb ei")]
    [InlineData(typeof(TuningObjective), "val_accuracy val_loss")]
    [InlineData(typeof(LrSchedule), "plateau one_cycle")]
    [InlineData(typeof(PipelinePresetKind), "seed quick")]
    [InlineData(typeof(ExportFormat), "onnx")]
    [InlineData(typeof(PrunedTrialModel), "resource_input last_value")]
    [InlineData(typeof(TrialStatus), "queued running completed paused pruned failed")]
    public void Each_choice_is_named_as_the_command_line_and_the_stored_files_name_it(Type choice, string names)
    {
        Assert.Equal(names.Split(' '), Call<IReadOnlyList<string>>(nameof(NamesOf), choice));
    }

    [Theory]
    [MemberData(nameof(Choices))]
    public void Every_value_of_a_choice_parses_back_from_its_name(Type choice) => Call<object?>(nameof(RoundTrips), choice);

    [Theory]
    [MemberData(nameof(Choices))]
    public void Every_value_of_a_choice_is_written_to_json_as_its_name_and_read_back(Type choice) => Call<object?>(nameof(IsItsJson), choice);

    [Theory]
    [MemberData(nameof(Choices))]
    public void An_unknown_name_of_any_choice_is_a_setting_error_listing_every_name(Type choice) => Call<object?>(nameof(RejectsUnknown), choice);

    [Fact]
    public void Every_oracle_name_parses_back_to_its_value()
    {
        Assert.Equal(OracleKind.Bayes, Choice.Parse<OracleKind>("oracle", "bayes"));
        Assert.Equal(OracleKind.Random, Choice.Parse<OracleKind>("oracle", "random"));
        Assert.Equal(OracleKind.Hyperband, Choice.Parse<OracleKind>("oracle", "hyperband"));
    }

    [Theory]
    [InlineData("bayesian")]
    [InlineData("Bayesian")]
    [InlineData("BAYES")]
    public void Bayesian_and_any_case_of_bayes_are_read_as_the_bayes_oracle(string text)
    {
        Assert.Equal(OracleKind.Bayes, Choice.Parse<OracleKind>("oracle", text));
        Assert.True(Choice.TryParse<OracleKind>(text, out var value));
        Assert.Equal(OracleKind.Bayes, value);
    }

    [Fact]
    public void An_alias_is_read_but_never_written()
    {
        Assert.Equal(new[] { "bayesian" }, Choice.Aliases(OracleKind.Bayes));
        Assert.Empty(Choice.Aliases(OracleKind.Random));
        Assert.Equal("bayes", Choice.Name(OracleKind.Bayes));
        Assert.Equal("\"bayes\"", Json.Serialize(OracleKind.Bayes));
        Assert.DoesNotContain("bayesian", Choice.Names<OracleKind>());
    }

    [Fact]
    public void An_unknown_oracle_is_a_setting_error_naming_the_setting_and_the_names_accepted()
    {
        var e = Assert.Throws<SettingException>(() => Choice.Parse<OracleKind>("oracle", "grid"));

        Assert.Equal(("oracle", "grid", "expected bayes, random or hyperband"), (e.Setting, e.Value, e.Rule));
        Assert.Equal("oracle = grid: expected bayes, random or hyperband", e.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("")]
    [InlineData(" cpu")]
    [InlineData("0")]
    [InlineData("Cpu1")]
    public void A_device_is_read_only_from_its_names_not_from_numbers_or_near_misses(string text)
    {
        var e = Assert.Throws<SettingException>(() => Choice.Parse<DeviceKind>("device", text));

        Assert.Equal("device", e.Setting);
        Assert.Equal("expected cpu, cuda or auto", e.Rule);
        Assert.False(Choice.TryParse<DeviceKind>(text, out _));
    }

    [Fact]
    public void No_text_is_a_setting_error_too()
    {
        Assert.Equal("pruner", Assert.Throws<SettingException>(() => Choice.Parse<PrunerKind>("pruner", null)).Setting);
        Assert.False(Choice.TryParse<PrunerKind>(null, out _));
    }

    [Fact]
    public void The_names_accepted_are_listed_as_a_sentence_in_the_enums_order()
    {
        Assert.Equal("expected onnx", Choice.Expected<ExportFormat>());
        Assert.Equal("expected torch or onnx", Choice.Expected<InferenceEngineKind>());
        Assert.Equal("expected cpu, cuda or auto", Choice.Expected<DeviceKind>());
        Assert.Equal(new[] { OracleKind.Bayes, OracleKind.Random, OracleKind.Hyperband }, Choice.Values<OracleKind>());
    }

    [Fact]
    public void A_value_outside_the_enum_has_no_name()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Choice.Name((OracleKind)42));
    }

    [Fact]
    public void Each_pruner_and_oracle_calls_itself_by_its_choices_name()
    {
        var space = ModelBuilder.SeedSearchSpace();

        Assert.Equal("asha", Pruners.Create(PrunerKind.Asha).Name);
        Assert.Equal("none", Pruners.Create(PrunerKind.None).Name);
        Assert.Equal("bayes", TuneRun.CreateOracle(OracleKind.Bayes, space, 5, AcquisitionKind.Ucb).Name);
        Assert.Equal("random", TuneRun.CreateOracle(OracleKind.Random, space, 5, AcquisitionKind.Ucb).Name);
        Assert.Equal("hyperband", new HyperbandScheduler(space, l => l, maxEpochs: 9).Name);
    }

    [Fact]
    public void Each_preset_is_found_by_its_kind_and_named_by_it()
    {
        Assert.Same(PipelinePreset.Seed, PipelinePreset.Of(PipelinePresetKind.Seed));
        Assert.Same(PipelinePreset.Quick, PipelinePreset.Of(PipelinePresetKind.Quick));
        Assert.All(Choice.Values<PipelinePresetKind>(), kind => Assert.Equal(Choice.Name(kind), PipelinePreset.Of(kind).Name));
    }

    private static T Call<T>(string method, Type choice) =>
        (T)typeof(ChoiceTests).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(choice).Invoke(null, BindingFlags.DoNotWrapExceptions, null, [], null)!;

    private static IReadOnlyList<string> NamesOf<T>() where T : struct, Enum => Choice.Names<T>();

    private static object? RoundTrips<T>() where T : struct, Enum
    {
        Assert.Equal(Enum.GetValues<T>(), Choice.Values<T>());
        Assert.Equal(Choice.Values<T>().Count, Choice.Names<T>().Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var value in Choice.Values<T>())
        {
            var name = Choice.Name(value);
            Assert.Equal(name.ToLowerInvariant(), name);
            Assert.Equal(value, Choice.Parse<T>("setting", name));
            Assert.Equal(value, Choice.Parse<T>("setting", name.ToUpperInvariant()));
            Assert.All(Choice.Aliases(value), alias => Assert.Equal(value, Choice.Parse<T>("setting", alias)));
        }
        return null;
    }

    private static object? IsItsJson<T>() where T : struct, Enum
    {
        foreach (var value in Choice.Values<T>())
        {
            Assert.Equal($"\"{Choice.Name(value)}\"", Json.Serialize(value, indented: false));
            Assert.Equal(value, Json.Deserialize<T>($"\"{Choice.Name(value)}\"", "test"));
        }
        return null;
    }

    private static object? RejectsUnknown<T>() where T : struct, Enum
    {
        var e = Assert.Throws<SettingException>(() => Choice.Parse<T>("some_setting", "no-such-name"));

        Assert.Equal(("some_setting", "no-such-name"), (e.Setting, e.Value));
        Assert.StartsWith("some_setting = no-such-name: expected ", e.Message, StringComparison.Ordinal);
        Assert.All(Choice.Names<T>(), name => Assert.Contains(name, e.Rule, StringComparison.Ordinal));
        return null;
    }
}

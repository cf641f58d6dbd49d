using System.Text.Json;
using Mnist.Testing;

namespace Mnist.Cli.Tests.Commands;

/// <summary>Whole commands run in-process, their output captured.</summary>
public sealed class CommandRunTests
{
    internal static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Given_summary_json_When_run_Then_it_reports_825162_parameters_4643840_multiply_adds_and_the_seed_layers()
    {
        var (code, output, _) = await Run("summary", "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(825_162, doc.RootElement.GetProperty("total_params").GetInt64());
        Assert.Equal(11, doc.RootElement.GetProperty("layers").GetArrayLength());
        Assert.Equal(803_072, doc.RootElement.GetProperty("layers")[7].GetProperty("params").GetInt64());
        Assert.Equal(4_643_840, doc.RootElement.GetProperty("total_mult_adds").GetInt64());
        Assert.Equal(802_816, doc.RootElement.GetProperty("layers")[7].GetProperty("mult_adds").GetInt64());
    }

    [Fact]
    public async Task Given_summary_When_run_Then_it_prints_a_keras_style_table_with_totals()
    {
        var (code, output, _) = await Run("summary");

        Assert.Equal(0, code);
        Assert.Contains("dense_1 (Linear, selu)", output);
        Assert.Contains("Total params: 825,162", output);
        Assert.Contains("Trainable params: 825,162", output);
    }

    [Fact]
    public async Task Given_a_missing_model_When_predicting_Then_the_error_names_the_file_and_the_exit_code_is_1()
    {
        using var dir = new TempDir();

        var (code, _, error) = await Run("predict", "--model", dir.File("none.ckpt"), dir.File("x.png"));

        Assert.Equal(1, code);
        Assert.Contains("none.ckpt", error);
        Assert.Contains("not found", error);
    }

    [Fact]
    public async Task Given_a_data_folder_without_mnist_When_training_offline_Then_the_error_says_where_to_put_the_files()
    {
        using var dir = new TempDir();
        var empty = Directory.CreateDirectory(dir.File("data")).FullName;

        var (code, _, error) = await Run("train", "--data-dir", empty, "--out", dir.File("run"), "--epochs", "1");

        Assert.Equal(1, code);
        Assert.Contains(empty, error);
        Assert.Contains("train-images-idx3-ubyte.gz", error);
    }
}

using Mnist.Core.Inference;
using Mnist.Testing;
using TorchSharp;

namespace Mnist.Web.Tests;

/// <summary>Process-wide settings are the entry points' to make: building the app or predicting leaves libtorch's thread count as it was.</summary>
public sealed class ProcessSettingsTests
{
    [Fact]
    public async Task Given_a_thread_count_When_the_app_is_built_and_a_model_predicts_single_images_Then_libtorchs_thread_count_is_unchanged()
    {
        using var dir = new TempDir();
        var model = SeedModelFile.SaveUntrained(dir.File("model.ckpt"), seed: 2);
        var before = torch.get_num_threads();
        torch.set_num_threads(2);
        try
        {
            await using (WebApp.Build(new ServeOptions { Model = model, Urls = "http://127.0.0.1:0", InferenceThreads = 1 }))
            {
                Assert.Equal(2, torch.get_num_threads());
            }
            using var predictor = Predictor.Load(model);
            predictor.Predict(new float[28 * 28]);

            Assert.Equal(2, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }
}

namespace Iot.Contract
{
    /// <summary>The kinds of site as every message and API spells them; the kind decides which channels a device sends.</summary>
    public static class SiteKinds
    {
        /// <summary>Construction noise.</summary>
        public const string Noise = "noise";
        /// <summary>Construction dust.</summary>
        public const string Dust = "dust";
        /// <summary>Restaurant cooking fume.</summary>
        public const string Fume = "fume";

        /// <summary>Every kind.</summary>
        public static readonly string[] All = { Fume, Noise, Dust };
    }
}

namespace Iot.Contract
{
    /// <summary>
    /// The measurement channels of wire protocol v1 (shared/spec/wire-protocol.md, "m"): one index per
    /// channel, its JSON name and its decimals. The only place these names are spelled.
    /// </summary>
    public static class Channel
    {
        /// <summary>A-weighted equivalent continuous level, dB(A).</summary>
        public const int Laeq = 0;
        /// <summary>Highest A-weighted fast level, dB(A).</summary>
        public const int Lafmax = 1;
        /// <summary>Level exceeded 10 % of the window, dB(A).</summary>
        public const int L10 = 2;
        /// <summary>Level exceeded 90 % of the window, dB(A).</summary>
        public const int L90 = 3;
        /// <summary>PM10, µg/m³.</summary>
        public const int Pm10 = 4;
        /// <summary>PM2.5, µg/m³.</summary>
        public const int Pm25 = 5;
        /// <summary>Total suspended particulate, µg/m³.</summary>
        public const int Tsp = 6;
        /// <summary>Wind speed, m/s.</summary>
        public const int Wind = 7;
        /// <summary>Wind direction, degrees (vector mean).</summary>
        public const int Wdir = 8;
        /// <summary>Relative humidity, %.</summary>
        public const int Rh = 9;
        /// <summary>Air temperature, °C.</summary>
        public const int Temp = 10;
        /// <summary>Cooking-fume concentration, mg/m³.</summary>
        public const int Fume = 11;
        /// <summary>Share of the window the exhaust fan ran, 0..1.</summary>
        public const int Fan = 12;
        /// <summary>Share of the window the purifier ran, 0..1.</summary>
        public const int Pur = 13;
        /// <summary>Mean fan supply current, A.</summary>
        public const int FanA = 14;
        /// <summary>Mean purifier supply current, A.</summary>
        public const int PurA = 15;

        /// <summary>Number of channels; a record's presence mask has this many bits.</summary>
        public const int Count = 16;

        private static readonly string[] JsonNames =
        {
            "laeq", "lafmax", "l10", "l90", "pm10", "pm25", "tsp", "wind",
            "wdir", "rh", "temp", "fume", "fan", "pur", "fan_a", "pur_a"
        };

        private static readonly int[] DecimalPlaces =
        {
            1, 1, 1, 1, 1, 1, 1, 1,
            0, 1, 1, 3, 3, 3, 2, 2
        };

        private static readonly string[] Units =
        {
            "dB(A)", "dB(A)", "dB(A)", "dB(A)", "µg/m³", "µg/m³", "µg/m³", "m/s",
            "°", "%", "°C", "mg/m³", "share", "share", "A", "A"
        };

        // Physical plausibility, wide on purpose: a value outside is a broken device or a forged packet, not a breach.
        private static readonly double[] Lowest =
        {
            0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, -60, 0, 0, 0, 0, 0
        };

        private static readonly double[] Highest =
        {
            200, 200, 200, 200, 100000, 100000, 100000, 100,
            360, 100, 90, 1000, 1, 1, 1000, 1000
        };

        /// <summary>The channel's name in the "m" object.</summary>
        public static string Name(int channel)
        {
            return JsonNames[channel];
        }

        /// <summary>Decimals sent on the wire (and kept in the journal).</summary>
        public static int Decimals(int channel)
        {
            return DecimalPlaces[channel];
        }

        /// <summary>The channel's unit as people read it.</summary>
        public static string Unit(int channel)
        {
            return Units[channel];
        }

        /// <summary>Lowest value a record may carry.</summary>
        public static double Min(int channel)
        {
            return Lowest[channel];
        }

        /// <summary>Highest value a record may carry.</summary>
        public static double Max(int channel)
        {
            return Highest[channel];
        }

        /// <summary>Index of the channel with that JSON name, or -1.</summary>
        public static int Find(string name)
        {
            for (int i = 0; i < Count; i++)
            {
                if (JsonNames[i] == name) return i;
            }
            return -1;
        }

        /// <summary>Presence-mask bit of a channel.</summary>
        public static int Bit(int channel)
        {
            return 1 << channel;
        }
    }
}

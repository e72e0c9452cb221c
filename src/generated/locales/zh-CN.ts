
    // Do not modify this file by hand!
    // Re-generate this file by running lit-localize

    
    

    /* eslint-disable no-irregular-whitespace */
    /* eslint-disable @typescript-eslint/no-explicit-any */

    export const templates = {
      's0b453a19aa0f85a9': `CPU`,
's0bdca49248ba4820': `快捷键`,
's1cf4b4a3ed28ad8f': `正在启动 WebGPU…`,
's1f71d5a9cecc1b0f': `浅色`,
's23c9f3d826e8abef': `后端`,
's3711ec82b3eff2a4': `扩散模型`,
's43081057757dc873': `键盘快捷键（?）`,
's437303afa7833a5e': `正在重新连接 GPU…`,
's5042fcb2068d64a1': `批归一化`,
's560a6a9abd105492': `计算后端`,
's7a12cbec91dd87a6': `掩码注意力`,
's7b6c5a79688b5bce': `推荐`,
's8236d4b4a7124305': `实验`,
's85615b6730a7bfe5': `深色`,
's89d27b8c716c01b0': `CPU 参考实现`,
'sa3d074ae32bd84b0': `GPU（WebGPU）`,
'sa6d63ff474ed0ca3': `未知错误`,
'saab875d8cfcfe712': `主题`,
'sac92add2bcf40c75': `GPU 已丢失`,
'sae1c7f13b7c0c47f': `首页`,
'sbfb559c71c56b4fc': `跟随系统`,
'se054c1507efaa4e1': `CPU（无 WebGPU）`,
'se3b4c857f91f80d7': `键盘快捷键`,
'sefcf950b3cc4fc3b': `语言`,
'sf5334c231b2e9040': `随机数`,
    };
  